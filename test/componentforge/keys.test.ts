/**
 * Keys and foreign-key actions of the componentforge schema that no other test names: pinned to their
 * catalog definitions, so dropping one or changing its ON DELETE action fails here.
 */
import { describe, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { expectConstraints } from '../support/constraints.js';

const app = useTestApp();

describe('componentforge keys and foreign-key actions', () => {
  it('exist with their columns, referenced keys and ON DELETE actions', async () => {
    await expectConstraints(app, [
      ['componentforge.messages', 'messages_conversation_id_id_key', 'UNIQUE (conversation_id, id)'],
      ['componentforge.messages', 'messages_parent_message_id_fkey', 'FOREIGN KEY (conversation_id, parent_message_id) REFERENCES componentforge.messages(conversation_id, id) ON DELETE SET NULL (parent_message_id)'],
    ]);
  });
});
