/**
 * Keys and foreign-key actions of the exportsathi schema that no other test names: pinned to their
 * catalog definitions, so dropping one or changing its ON DELETE action fails here.
 */
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { expectConstraints } from '../support/constraints.js';

const app = useTestApp();

describe('exportsathi keys and foreign-key actions', () => {
  it('exist with their columns, referenced keys and ON DELETE actions', async () => {
    await expectConstraints(app, [
      ['exportsathi.action_plan_progress', 'action_plan_progress_report_id_fkey', 'FOREIGN KEY (report_id) REFERENCES exportsathi.reports(id) ON DELETE CASCADE'],
      ['exportsathi.business_profiles', 'business_profiles_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['exportsathi.certification_progress', 'certification_progress_report_id_fkey', 'FOREIGN KEY (report_id) REFERENCES exportsathi.reports(id) ON DELETE CASCADE'],
      ['exportsathi.chat_messages', 'chat_messages_session_id_fkey', 'FOREIGN KEY (session_id) REFERENCES exportsathi.chat_sessions(id) ON DELETE CASCADE'],
      ['exportsathi.chat_sessions', 'chat_sessions_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['exportsathi.finance_analysis', 'finance_analysis_report_id_fkey', 'FOREIGN KEY (report_id) REFERENCES exportsathi.reports(id) ON DELETE CASCADE'],
      ['exportsathi.generated_documents', 'generated_documents_report_id_fkey', 'FOREIGN KEY (report_id) REFERENCES exportsathi.reports(id) ON DELETE CASCADE'],
      ['exportsathi.logistics_analysis', 'logistics_analysis_report_id_fkey', 'FOREIGN KEY (report_id) REFERENCES exportsathi.reports(id) ON DELETE CASCADE'],
      ['exportsathi.reports', 'reports_id_user_key', 'UNIQUE (id, user_id)'],
      ['exportsathi.reports', 'reports_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['exportsathi.user_metrics', 'user_metrics_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['exportsathi.user_metrics', 'user_metrics_user_key', 'UNIQUE (user_id)'],
    ]);
  });

  it('one metrics row per user (user_metrics_user_key), even behind the guard trigger', async () => {
    const user = await app.newUser();
    // Triggers off: the counters' guard refuses direct writes before the key is reached.
    expect(
      await app.sqlError(`insert into exportsathi.user_metrics (user_id) values ($1), ($1)`, [user.id], { triggers: false }),
    ).toEqual({ code: '23505', constraint: 'user_metrics_user_key' });
  });
});
