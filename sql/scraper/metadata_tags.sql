/* @name InsertTag */
-- Tags an artifact (one tag per artifact, tag_type and tag_key); a privacy tag hides it from public reads.
insert into scraper.metadata_tags (artifact_id, tag_type, tag_key, tag_value)
values (:artifactId!, :tagType!, :tagKey!, :tagValue)
returning id, artifact_id, tag_type, tag_key, tag_value, created_at;

/* @name DeleteTag */
-- Removes one tag of an artifact.
delete from scraper.metadata_tags
where artifact_id = :artifactId! and tag_type = :tagType! and tag_key = :tagKey!
returning id;

/* @name ListArtifactTags */
-- An artifact's tags by type and key; served by the (artifact_id, tag_type, tag_key) key.
select id, artifact_id, tag_type, tag_key, tag_value, created_at
from scraper.metadata_tags
where artifact_id = :artifactId!
order by tag_type, tag_key;
