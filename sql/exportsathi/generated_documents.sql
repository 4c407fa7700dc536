/* @name InsertDocument */
-- Stores a generated export document for a live report of the acting user's, in status draft.
insert into exportsathi.generated_documents (report_id, document_type, title, content)
select r.id, :documentType!, :title!, :content!
from exportsathi.reports r
where r.id = :reportId! and r.deleted_at is null
returning id, report_id, document_type, title, content, validation_results, status, validated_at, created_at, updated_at;

/* @name UpdateDocument */
-- Changes a document's title, content, validation results and status (absent ones keep theirs); validated_at follows the status, the transition trigger refuses illegal moves.
update exportsathi.generated_documents
set title              = coalesce(:title, title),
    content            = coalesce(:content, content),
    validation_results = coalesce(:validationResults, validation_results),
    status             = coalesce(:status, status),
    validated_at       = case when coalesce(:status, status) = 'draft' then null
                              when :status is not null and :status <> status then now()
                              else validated_at end
where id = :id!
returning id, report_id, document_type, title, content, validation_results, status, validated_at, created_at, updated_at;

/* @name FindDocument */
-- One document with its content; RLS shows only those of the caller's live reports (admins: all live ones).
select id, report_id, document_type, title, content, validation_results, status, validated_at, created_at, updated_at
from exportsathi.generated_documents
where id = :id!;

/* @name ListDocuments */
-- One page of a report's documents newest first, before the cursor id, without their content; served by (report_id, id desc).
select id, report_id, document_type, title, validation_results, status, validated_at, created_at, updated_at
from exportsathi.generated_documents
where report_id = :reportId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;
