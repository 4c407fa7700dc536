/* @name RegisterDocument */
-- Records an upload in progress for the acting user, optionally within one of their projects.
insert into socrates.documents (owner_id, project_id, filename, file_path, file_type, status)
values (:ownerId!, :projectId, :filename!, :filePath!, :fileType, 'UPLOADING')
returning id, owner_id, project_id, filename, file_path, file_type, content_summary, vector_id, status, created_at, updated_at;

/* @name FindDocument */
-- One document; RLS hides other users' documents.
select id, owner_id, project_id, filename, file_path, file_type, content_summary, vector_id, status, created_at, updated_at
from socrates.documents
where id = :id!;

/* @name SetDocumentStatus */
-- Moves a document along its lifecycle; the transition trigger refuses illegal moves.
update socrates.documents
set status = :status!
where id = :id!
returning id, owner_id, project_id, filename, file_path, file_type, content_summary, vector_id, status, created_at, updated_at;

/* @name AttachDocumentVector */
-- Records where the document's embedding lives and its summary.
update socrates.documents
set vector_id = :vectorId!,
    content_summary = coalesce(cast(:contentSummary as text), content_summary)
where id = :id!
returning id, owner_id, project_id, filename, file_path, file_type, content_summary, vector_id, status, created_at, updated_at;

/* @name DeleteDocument */
-- Deletes a document.
delete from socrates.documents
where id = :id!
returning id;

/* @name ListDocuments */
-- One page of a user's documents, newest first, before the cursor id; served by (owner_id, id desc). The cursor is a CASE, not coalesce: under RLS only leakproof conditions become index conditions.
select id, owner_id, project_id, filename, file_path, file_type, content_summary, vector_id, status, created_at, updated_at
from socrates.documents
where owner_id = :ownerId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListDocumentsByStatus */
-- One page of a user's documents of one status, newest first, before the cursor id; served by (owner_id, status, id desc).
select id, owner_id, project_id, filename, file_path, file_type, content_summary, vector_id, status, created_at, updated_at
from socrates.documents
where owner_id = :ownerId!
  and status = :status!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListDocumentsInProject */
-- One page of a user's documents in one project, newest first, before the cursor id, optionally of one status (few rows: a filter); served by (owner_id, project_id, id desc).
select id, owner_id, project_id, filename, file_path, file_type, content_summary, vector_id, status, created_at, updated_at
from socrates.documents
where owner_id = :ownerId!
  and project_id = :projectId!
  and (cast(:status as text) is null or status = :status)
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;
