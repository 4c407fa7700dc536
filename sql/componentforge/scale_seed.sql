/* @name InsertScaleDocuments */
-- db:seed --scale: the acting user's documents from parallel arrays; an empty extracted text or embedding model is NULL (not processed yet).
insert into componentforge.documents (id, user_id, title, filename, file_path, content_type, processing_status, extracted_text, embedding_model)
select d.id, :userId!, d.title, d.filename, d.file_path, d.content_type, d.processing_status, nullif(d.extracted_text, ''), nullif(d.embedding_model, '')
from unnest(:ids!::uuid[], :titles!::text[], :filenames!::text[], :filePaths!::text[], :contentTypes!::text[],
            :processingStatuses!::text[], :extractedTexts!::text[], :embeddingModels!::text[])
  as d(id, title, filename, file_path, content_type, processing_status, extracted_text, embedding_model);

/* @name InsertScaleChunks */
-- db:seed --scale, as an admin (the processing worker): chunks of documents (one element per chunk); the statement trigger adds them to each document's chunk_count.
insert into componentforge.document_chunks (document_id, chunk_index, content, vector_id, embedding_model, token_count)
select c.document_id, c.chunk_index, c.content, c.vector_id, c.embedding_model, c.token_count
from unnest(:documentIds!::uuid[], :chunkIndexes!::int[], :contents!::text[], :vectorIds!::text[], :embeddingModels!::text[],
            :tokenCounts!::int[])
  as c(document_id, chunk_index, content, vector_id, embedding_model, token_count);

/* @name InsertScaleConversations */
-- db:seed --scale: the acting user's conversations; message_count and total_tokens_used follow their messages.
insert into componentforge.conversations (id, user_id, title, model_name, temperature, status)
select c.id, :userId!, c.title, c.model_name, c.temperature, c.status
from unnest(:ids!::uuid[], :titles!::text[], :modelNames!::text[], :temperatures!::float8[], :statuses!::text[])
  as c(id, title, model_name, temperature, status);

/* @name InsertScaleMessages */
-- db:seed --scale: threaded messages of the acting user's conversations (an empty parent id is a thread's root; a parent comes before its replies); context documents as JSON texts.
insert into componentforge.messages (id, conversation_id, parent_message_id, role, content, prompt_tokens, completion_tokens, total_tokens, context_documents)
select m.id, m.conversation_id, nullif(m.parent_message_id, '')::uuid, m.role, m.content, m.prompt_tokens, m.completion_tokens,
       m.prompt_tokens + m.completion_tokens, m.context_documents::jsonb
from unnest(:ids!::uuid[], :conversationIds!::uuid[], :parentMessageIds!::text[], :roles!::text[], :contents!::text[],
            :promptTokens!::int[], :completionTokens!::int[], :contextDocuments!::text[])
  as m(id, conversation_id, parent_message_id, role, content, prompt_tokens, completion_tokens, context_documents);

/* @name InsertScaleRequirementExports */
-- db:seed --scale: the acting user's requirement exports; requirements as JSON texts.
insert into componentforge.requirement_exports (user_id, component_type, requirements, approved_count, edited_count, custom_added_count,
                                                proposal_latency_ms, used_in_pattern_retrieval, used_in_code_generation)
select :userId!, e.component_type, e.requirements::jsonb, e.approved_count, e.edited_count, e.custom_added_count,
       e.proposal_latency_ms, e.used_in_pattern_retrieval, e.used_in_code_generation
from unnest(:componentTypes!::text[], :requirements!::text[], :approvedCounts!::int[], :editedCounts!::int[], :customAddedCounts!::int[],
            :proposalLatenciesMs!::int[], :usedInPatternRetrieval!::bool[], :usedInCodeGeneration!::bool[])
  as e(component_type, requirements, approved_count, edited_count, custom_added_count, proposal_latency_ms,
       used_in_pattern_retrieval, used_in_code_generation);

/* @name InsertScaleEmbeddingModels */
-- db:seed --scale, as an admin: a run's embedding models, inactive (the platform's active model stays the one it is).
insert into componentforge.embedding_models (name, provider, dimension, max_tokens, is_active)
select m.name, m.provider, m.dimension, m.max_tokens, false
from unnest(:names!::text[], :providers!::text[], :dimensions!::int[], :maxTokens!::int[]) as m(name, provider, dimension, max_tokens);

/* @name InsertScaleEvaluationRuns */
-- db:seed --scale, as an admin: a run's evaluation runs; config and metrics as JSON texts (an empty metrics text is none yet).
insert into componentforge.evaluation_runs (name, description, model_name, dataset_name, config, status, metrics)
select r.name, r.description, r.model_name, r.dataset_name, r.config::jsonb, r.status, nullif(r.metrics, '')::jsonb
from unnest(:names!::text[], :descriptions!::text[], :modelNames!::text[], :datasetNames!::text[], :configs!::text[],
            :statuses!::text[], :metrics!::text[])
  as r(name, description, model_name, dataset_name, config, status, metrics);
