/* @name InsertFileUploads */
-- Registers many files of one session in one statement from parallel arrays (one element per file), as uploaded; the statement trigger adds them to the session's total_files. A session the caller cannot see (RLS) gets nothing: 0 inserted.
with inserted as (
  insert into verificai.file_uploads (analysis_session_id, file_name, file_path, file_size, file_type)
  select s.id, f.file_name, f.file_path, f.file_size, f.file_type
  from verificai.analysis_sessions s
  cross join unnest(:fileNames!::text[], :filePaths!::text[], :fileSizes!::bigint[], :fileTypes!::text[])
    as f(file_name, file_path, file_size, file_type)
  where s.id = :sessionId!
  returning 1
)
select count(*)::int as "inserted!"
from inserted;

/* @name SetFileUploadStatus */
-- Moves files of one session to an upload status in one statement; the transition trigger refuses illegal moves, the statement trigger keeps processed_files.
update verificai.file_uploads
set upload_status = :status!
where analysis_session_id = :sessionId! and id = any(:ids!::uuid[])
returning id, analysis_session_id, file_name, file_path, file_size, file_type, upload_status, created_at, updated_at;

/* @name ListFileUploads */
-- One page of a session's files in upload order, after the cursor id; served by (analysis_session_id, id).
select id, analysis_session_id, file_name, file_path, file_size, file_type, upload_status, created_at, updated_at
from verificai.file_uploads
where analysis_session_id = :sessionId!
  and id > case when cast(:after as uuid) is null then '00000000-0000-0000-0000-000000000000'::uuid else :after end
order by id
limit :limit!;

/* @name ListFileUploadsByStatus */
-- One page of a session's files of one upload status in upload order, after the cursor id; served by (analysis_session_id, upload_status, id).
select id, analysis_session_id, file_name, file_path, file_size, file_type, upload_status, created_at, updated_at
from verificai.file_uploads
where analysis_session_id = :sessionId!
  and upload_status = :status!
  and id > case when cast(:after as uuid) is null then '00000000-0000-0000-0000-000000000000'::uuid else :after end
order by id
limit :limit!;
