/* @name InsertDocument */
-- Records an uploaded document for the acting user: pending for the processing queue, or completed when uploaded already processed.
insert into componentforge.documents (user_id, title, filename, file_path, content_type, processing_status, extracted_text, embedding_model)
values (:userId!, :title!, :filename!, :filePath!, :contentType, :processingStatus!, :extractedText, :embeddingModel)
returning id, user_id, title, filename, file_path, content_type, processing_status, processing_error, extracted_text,
          embedding_model, chunk_count, attempts, last_error, created_at, updated_at;

/* @name FindDocumentById */
-- One document with its extracted text; RLS shows a user only their own.
select id, user_id, title, filename, file_path, content_type, processing_status, processing_error, extracted_text,
       embedding_model, chunk_count, attempts, last_error, created_at, updated_at
from componentforge.documents
where id = :id!;

/* @name FindDocumentWithOwner */
-- A document joined with its owner's public profile, the first of the two queries of "a document with its chunks and owner".
select d.id, d.user_id, d.title, d.filename, d.file_path, d.content_type, d.processing_status, d.processing_error,
       d.extracted_text, d.embedding_model, d.chunk_count, d.created_at, d.updated_at,
       u.username as "owner_username?", u.email as "owner_email!", u.full_name as "owner_full_name?"
from componentforge.documents d
join core.users u on u.id = d.user_id
where d.id = :id!;

/* @name ListUserDocumentsByStatus */
-- One page of a user's documents of one status, newest first, before the cursor (created_at as text keeps its microseconds); served by (user_id, processing_status, created_at, id), the cursor a CASE, not coalesce, so that under RLS it stays an index condition.
select id, user_id, title, filename, file_path, content_type, processing_status, processing_error, embedding_model,
       chunk_count, created_at, updated_at, created_at::text as "cursor_at!"
from componentforge.documents
where user_id = :userId!
  and processing_status = :status!
  and (created_at, id) < (case when cast(:beforeAt as timestamptz) is null then 'infinity'::timestamptz else :beforeAt end,
                          case when cast(:beforeId as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :beforeId end)
order by created_at desc, id desc
limit :limit!;

/* @name ListPendingDocuments */
-- One page of the processing queue as it stands, oldest first, after the cursor, without claiming anything; served by (processing_status, created_at, id), the cursor a CASE, not coalesce, so that under RLS it stays an index condition.
select id, user_id, title, filename, file_path, content_type, processing_status, processing_error, embedding_model,
       chunk_count, attempts, last_error, created_at, updated_at, created_at::text as "cursor_at!"
from componentforge.documents
where processing_status = 'pending'
  and (created_at, id) > (case when cast(:afterAt as timestamptz) is null then '-infinity'::timestamptz else :afterAt end,
                          case when cast(:afterId as uuid) is null then '00000000-0000-0000-0000-000000000000'::uuid else :afterId end)
order by created_at, id
limit :limit!;

/* @name ClaimPendingDocuments */
-- Moves the oldest pending documents, up to :limit, to processing under a lease for :workerId (attempt counted, a fresh lease token each) and returns them oldest first; rows another worker has locked are skipped, so no two workers get the same document.
with claimed as (
  update componentforge.documents
  set processing_status = 'processing',
      attempts = attempts + 1,
      locked_by = :workerId!,
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + make_interval(secs => :leaseSeconds!),
      heartbeat_at = now()
  where id in (
    select id
    from componentforge.documents
    where processing_status = 'pending'
    order by created_at, id
    limit :limit!
    for update skip locked
  )
  returning id, user_id, title, filename, file_path, content_type, processing_status, processing_error, embedding_model,
            chunk_count, attempts, locked_by, lease_token, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
)
select id as "id!", user_id as "user_id!", title as "title!", filename as "filename!", file_path as "file_path!", content_type,
       processing_status as "processing_status!", processing_error, embedding_model, chunk_count as "chunk_count!",
       attempts as "attempts!", locked_by as "locked_by!", lease_token as "lease_token!", lease_expires_at as "lease_expires_at!",
       heartbeat_at as "heartbeat_at!", last_error, created_at as "created_at!", updated_at as "updated_at!"
from claimed
order by created_at, id;

/* @name HeartbeatDocument */
-- Renews the lease of a document for the worker holding it (its lease token), until it is reclaimed; no row for anyone else.
update componentforge.documents
set lease_expires_at = now() + make_interval(secs => :leaseSeconds!),
    heartbeat_at = now()
where id = :id! and lease_token = :leaseToken!
returning id, locked_by as "locked_by!", lease_expires_at as "lease_expires_at!", heartbeat_at as "heartbeat_at!", attempts;

/* @name ReclaimExpiredDocuments */
-- Ends up to :limit expired leases, longest expired first (a dead worker's documents): back to pending with the attempt counted, or failed with the error kept once :maxAttempts attempts are used; leases being renewed right now are skipped.
with expired as (
  select id,
         attempts >= :maxAttempts! as final,
         format('attempt %s: worker %s sent its last heartbeat at %s and its lease expired', attempts, locked_by, heartbeat_at) as reason
  from componentforge.documents
  where processing_status = 'processing' and lease_expires_at < now()
  order by lease_expires_at
  limit :limit!
  for update skip locked
)
update componentforge.documents d
set processing_status = case when e.final then 'failed' else 'pending' end,
    processing_error = case when e.final then e.reason end,
    last_error = e.reason,
    locked_by = null,
    lease_token = null,
    lease_expires_at = null,
    heartbeat_at = null
from expired e
where d.id = e.id
returning d.id, d.user_id, d.title, d.processing_status, d.processing_error, d.attempts, d.last_error, d.updated_at;

/* @name CompleteDocument */
-- Marks a document as completed for the worker holding its lease, ending the lease and keeping its extracted text and embedding model unless new ones are given.
update componentforge.documents
set processing_status = 'completed',
    extracted_text = coalesce(:extractedText, extracted_text),
    embedding_model = coalesce(:embeddingModel, embedding_model),
    locked_by = null,
    lease_token = null,
    lease_expires_at = null,
    heartbeat_at = null
where id = :id! and lease_token = :leaseToken!
returning id, user_id, title, filename, file_path, content_type, processing_status, processing_error, extracted_text,
          embedding_model, chunk_count, attempts, last_error, created_at, updated_at;

/* @name FailDocument */
-- Marks a document as failed for the worker holding its lease, ending the lease and recording why (final: it is not retried).
update componentforge.documents
set processing_status = 'failed',
    processing_error = :error!,
    last_error = :error!,
    locked_by = null,
    lease_token = null,
    lease_expires_at = null,
    heartbeat_at = null
where id = :id! and lease_token = :leaseToken!
returning id, user_id, title, filename, file_path, content_type, processing_status, processing_error, extracted_text,
          embedding_model, chunk_count, attempts, last_error, created_at, updated_at;

/* @name DeleteDocument */
-- Deletes a document; its chunks go with it (ON DELETE CASCADE).
delete from componentforge.documents
where id = :id!
returning id;

/* @name FindDocumentFullText */
-- The full text of a document, its chunks joined in order with blank lines between them ('' when it has no chunks).
select d.id, coalesce(string_agg(c.content, E'\n\n' order by c.chunk_index), '') as "text!"
from componentforge.documents d
left join componentforge.document_chunks c on c.document_id = d.id
where d.id = :id!
group by d.id;

/* @name FindDocumentChunkCount */
-- A document's chunk_count alone: the cheap check that a document is visible before its chunks are written, and the count after.
select id, chunk_count
from componentforge.documents
where id = :id!;
