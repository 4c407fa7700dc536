/* @name InsertDocumentChunks */
-- Adds a batch of a document's chunks in one statement from parallel arrays (one element per chunk); the statement trigger adds them to the document's chunk_count. A document the caller cannot see (RLS) gets nothing: 0 inserted.
with inserted as (
  insert into componentforge.document_chunks (document_id, chunk_index, content, token_count, vector_id, embedding_model)
  select d.id, c.chunk_index, c.content, c.token_count, c.vector_id, c.embedding_model
  from componentforge.documents d
  cross join unnest(:chunkIndexes!::int[], :contents!::text[], :tokenCounts!::int[], :vectorIds!::text[], :embeddingModels!::text[])
    as c(chunk_index, content, token_count, vector_id, embedding_model)
  where d.id = :documentId!
  returning 1
)
select count(*)::int as "inserted!"
from inserted;

/* @name ListDocumentChunks */
-- One page of a document's chunks in order, after the cursor's chunk_index; served by the (document_id, chunk_index) key, the cursor a CASE, not coalesce, so that under RLS it stays an index condition.
select id, document_id, chunk_index, content, vector_id, embedding_model, token_count, created_at, updated_at
from componentforge.document_chunks
where document_id = :documentId!
  and chunk_index > case when cast(:afterIndex as int) is null then -1 else :afterIndex end
order by chunk_index
limit :limit!;

/* @name ListAllDocumentChunks */
-- Every chunk of a document in order, the second of the two queries of "a document with its chunks and owner".
select id, document_id, chunk_index, content, vector_id, embedding_model, token_count, created_at, updated_at
from componentforge.document_chunks
where document_id = :documentId!
order by chunk_index;

/* @name FindChunksByVectorIds */
-- The chunks behind Qdrant search hits, by point id (vector_id index); RLS keeps other users' chunks out.
select id, document_id, chunk_index, content, vector_id, embedding_model, token_count, created_at, updated_at
from componentforge.document_chunks
where vector_id = any(:vectorIds!::text[])
order by document_id, chunk_index;

/* @name SetChunkVectors */
-- Records the Qdrant point and embedding model of a batch of chunks of one document in one statement.
update componentforge.document_chunks c
set vector_id = v.vector_id,
    embedding_model = v.embedding_model
from unnest(:ids!::uuid[], :vectorIds!::text[], :embeddingModels!::text[]) as v(id, vector_id, embedding_model)
where c.id = v.id and c.document_id = :documentId!
returning c.id;
