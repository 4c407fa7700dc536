/**
 * Keys and foreign-key actions of the scraper schema that no other test names: pinned to their
 * catalog definitions, so dropping one or changing its ON DELETE action fails here.
 */
import { describe, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { expectConstraints } from '../support/constraints.js';

const app = useTestApp();

describe('scraper keys and foreign-key actions', () => {
  it('exist with their columns, referenced keys and ON DELETE actions', async () => {
    await expectConstraints(app, [
      ['scraper.artifacts', 'artifacts_job_id_fkey', 'FOREIGN KEY (job_id) REFERENCES scraper.scraping_jobs(id) ON DELETE CASCADE'],
      ['scraper.artifacts', 'artifacts_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['scraper.content_extractions', 'content_extractions_artifact_id_fkey', 'FOREIGN KEY (artifact_id) REFERENCES scraper.artifacts(id) ON DELETE CASCADE'],
      ['scraper.job_configurations', 'job_configurations_job_id_fkey', 'FOREIGN KEY (job_id) REFERENCES scraper.scraping_jobs(id) ON DELETE CASCADE'],
      ['scraper.metadata_tags', 'metadata_tags_artifact_id_fkey', 'FOREIGN KEY (artifact_id) REFERENCES scraper.artifacts(id) ON DELETE CASCADE'],
      ['scraper.scraping_jobs', 'scraping_jobs_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
    ]);
  });
});
