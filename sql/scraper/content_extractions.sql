/* @name InsertExtraction */
-- Records what was extracted from an artifact; the shape CHECK holds the data to its extraction_type.
insert into scraper.content_extractions (artifact_id, extraction_type, extracted_data, confidence_score)
values (:artifactId!, :extractionType!, :extractedData!, :confidenceScore)
returning id, artifact_id, extraction_type, extracted_data, confidence_score, created_at;

/* @name ListArtifactExtractions */
-- One page of an artifact's extractions in the order they were made, after the cursor id; served by (artifact_id, id).
select id, artifact_id, extraction_type, extracted_data, confidence_score, created_at
from scraper.content_extractions
where artifact_id = :artifactId!
  and id > case when cast(:after as uuid) is null then '00000000-0000-0000-0000-000000000000'::uuid else :after end
order by id
limit :limit!;
