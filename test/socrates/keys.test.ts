/**
 * Keys and foreign-key actions of the socrates schema that no other test names: pinned to their
 * catalog definitions, so dropping one or changing its ON DELETE action fails here.
 */
import { describe, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { expectConstraints } from '../support/constraints.js';

const app = useTestApp();

describe('socrates keys and foreign-key actions', () => {
  it('exist with their columns, referenced keys and ON DELETE actions', async () => {
    await expectConstraints(app, [
      ['socrates.documents', 'documents_owner_id_fkey', 'FOREIGN KEY (owner_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['socrates.documents', 'documents_project_fkey', 'FOREIGN KEY (project_id, owner_id) REFERENCES socrates.projects(id, owner_id) ON DELETE SET NULL (project_id)'],
      ['socrates.messages', 'messages_session_id_fkey', 'FOREIGN KEY (session_id) REFERENCES socrates.sessions(id) ON DELETE CASCADE'],
      ['socrates.messages', 'messages_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['socrates.projects', 'projects_id_owner_key', 'UNIQUE (id, owner_id)'],
      ['socrates.projects', 'projects_owner_id_fkey', 'FOREIGN KEY (owner_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['socrates.sessions', 'sessions_id_owner_key', 'UNIQUE (id, owner_id)'],
      ['socrates.sessions', 'sessions_owner_id_fkey', 'FOREIGN KEY (owner_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['socrates.sessions', 'sessions_project_fkey', 'FOREIGN KEY (project_id, owner_id) REFERENCES socrates.projects(id, owner_id) ON DELETE SET NULL (project_id)'],
    ]);
  });
});
