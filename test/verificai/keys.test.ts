/**
 * Keys and foreign-key actions of the verificai schema that no other test names: pinned to their
 * catalog definitions, so dropping one or changing its ON DELETE action fails here.
 */
import { describe, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { expectConstraints } from '../support/constraints.js';

const app = useTestApp();

describe('verificai keys and foreign-key actions', () => {
  it('exist with their columns, referenced keys and ON DELETE actions', async () => {
    await expectConstraints(app, [
      ['verificai.analysis_results', 'analysis_results_analysis_session_id_fkey', 'FOREIGN KEY (analysis_session_id) REFERENCES verificai.analysis_sessions(id) ON DELETE CASCADE'],
      ['verificai.analysis_results', 'analysis_results_configuration_fkey', 'FOREIGN KEY (configuration_id, analysis_type) REFERENCES verificai.configurations(id, config_type) ON DELETE SET NULL (configuration_id)'],
      ['verificai.analysis_sessions', 'analysis_sessions_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['verificai.analysis_tasks', 'analysis_tasks_analysis_session_id_fkey', 'FOREIGN KEY (analysis_session_id) REFERENCES verificai.analysis_sessions(id) ON DELETE CASCADE'],
      ['verificai.analysis_tasks', 'analysis_tasks_task_id_key', 'UNIQUE (task_id)'],
      ['verificai.configurations', 'configurations_id_type_key', 'UNIQUE (id, config_type)'],
      ['verificai.configurations', 'configurations_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['verificai.file_uploads', 'file_uploads_analysis_session_id_fkey', 'FOREIGN KEY (analysis_session_id) REFERENCES verificai.analysis_sessions(id) ON DELETE CASCADE'],
      ['verificai.file_uploads', 'file_uploads_session_path_key', 'UNIQUE (analysis_session_id, file_path)'],
    ]);
  });
});
