/* @name InsertEmbeddingModel */
-- Adds an embedding model (admins); it is active unless said otherwise, as in the seed.
insert into componentforge.embedding_models (name, provider, dimension, max_tokens, is_active)
values (:name!, :provider!, :dimension!, :maxTokens!, coalesce(:isActive::boolean, true))
returning id, name, provider, dimension, max_tokens, is_active, created_at, updated_at;

/* @name ListEmbeddingModels */
-- One page of the embedding models in name order, after the cursor name; served by the unique index on name, the cursor a CASE, not coalesce, so that under RLS it stays an index condition (names are 1-100 characters: none is '').
select id, name, provider, dimension, max_tokens, is_active, created_at, updated_at
from componentforge.embedding_models
where name > case when cast(:afterName as text) is null then '' else :afterName end
order by name
limit :limit!;

/* @name FindActiveEmbeddingModel */
-- The embedding model new embeddings use, if any (the partial unique index allows at most one).
select id, name, provider, dimension, max_tokens, is_active, created_at, updated_at
from componentforge.embedding_models
where is_active;

/* @name DeactivateOtherEmbeddingModels */
-- Deactivates the active model unless it is the given one, before another is activated (admins).
update componentforge.embedding_models
set is_active = false
where is_active and id is distinct from :keepId::uuid
returning id;

/* @name SetEmbeddingModelActive */
-- Activates or deactivates one embedding model (admins); activating while another is active breaks the one-active index.
update componentforge.embedding_models
set is_active = :isActive!
where id = :id!
returning id, name, provider, dimension, max_tokens, is_active, created_at, updated_at;

/* @name DeleteEmbeddingModel */
-- Deletes an embedding model (admins).
delete from componentforge.embedding_models
where id = :id!
returning id;
