/**
 * Conversations with their messages. The seed warns about N+1 (one query for the
 * conversations, then one per conversation for its messages); our procedures load them in two
 * queries whatever N is. Measured: a page of 10 conversations of 20 messages each against the
 * N+1 pattern in hand-written pg (= 1.00), and one conversation with its 20 messages against
 * the same two queries in hand-written pg. The raw side runs in the same kind of request
 * transaction (RLS, request setup) with named statements: its fastest path.
 */
import type { Services } from '../src/server/context.js';
import { compareRates, type BenchDatabase, type Result } from './measure.js';
import { caller, closeRawPool, newUser, rawPool, rawRequest } from './support.js';

const CONVERSATIONS = 10;
const MESSAGES = 20;
const CALLS = 60;

const CONVERSATIONS_SQL = `select id, user_id, title, model_name, temperature, status, message_count, total_tokens_used, created_at, updated_at
  from componentforge.conversations where user_id = $1 order by id desc limit $2`;
const CONVERSATION_SQL = `select id, user_id, title, model_name, temperature, status, message_count, total_tokens_used, created_at, updated_at
  from componentforge.conversations where id = $1`;
const MESSAGE_COLUMNS = `id, conversation_id, parent_message_id, role, content, prompt_tokens, completion_tokens, total_tokens,
  context_documents, created_at, updated_at`;
const MESSAGES_SQL = `select ${MESSAGE_COLUMNS} from componentforge.messages where conversation_id = $1 order by created_at, id`;
const MESSAGES_OF_MANY_SQL = `select ${MESSAGE_COLUMNS} from componentforge.messages where conversation_id = any($1::uuid[])
  order by conversation_id, created_at, id`;

export async function benchConversationRead(db: BenchDatabase, services: Services): Promise<Result[]> {
  const user = await newUser(services);
  const api = caller(services, user.token).componentforge;
  for (let c = 0; c < CONVERSATIONS; c++) {
    const { conversation } = await api.conversations.start({ title: `bench ${c}`, content: 'How do I create a primary button component?' });
    for (let m = 1; m < MESSAGES; m++) {
      await api.messages.add({ conversationId: conversation.id, role: m % 2 ? 'assistant' : 'user', content: `reply ${m} `.repeat(20), totalTokens: 100 });
    }
  }
  const [one] = (await api.conversations.list({ limit: 1 })).items;
  const raw = rawPool(db.ownerUrl);
  try {
    const page = await compareRates(
      [
        {
          name: `page of ${CONVERSATIONS}: raw pg N+1 (1 + ${CONVERSATIONS} queries)`,
          fn: () =>
            rawRequest(raw, user.token, async (client) => {
              const { rows } = await client.query<{ id: string }>({ name: 'bench_conversations', text: CONVERSATIONS_SQL, values: [user.id, CONVERSATIONS] });
              for (const row of rows) await client.query({ name: 'bench_messages', text: MESSAGES_SQL, values: [row.id] });
            }),
        },
        {
          name: `page of ${CONVERSATIONS}: raw pg eager (2 queries, ANY)`,
          fn: () =>
            rawRequest(raw, user.token, async (client) => {
              const { rows } = await client.query<{ id: string }>({ name: 'bench_conversations', text: CONVERSATIONS_SQL, values: [user.id, CONVERSATIONS] });
              await client.query({ name: 'bench_messages_any', text: MESSAGES_OF_MANY_SQL, values: [rows.map((r) => r.id)] });
            }),
        },
        {
          name: `page of ${CONVERSATIONS}: N+1 over our procedures (list + ${CONVERSATIONS} messages.list)`,
          fn: async () => {
            const { items } = await api.conversations.list({ limit: CONVERSATIONS });
            for (const c of items) await api.messages.list({ conversationId: c.id, limit: 200 });
          },
        },
        { name: `page of ${CONVERSATIONS}: componentforge.conversations.listWithMessages`, fn: () => api.conversations.listWithMessages({ limit: CONVERSATIONS }) },
      ],
      CALLS,
    );
    const single = await compareRates(
      [
        {
          name: 'one conversation: raw pg, conversation then messages (2 queries)',
          fn: () =>
            rawRequest(raw, user.token, async (client) => {
              await client.query({ name: 'bench_conversation', text: CONVERSATION_SQL, values: [one!.id] });
              await client.query({ name: 'bench_messages', text: MESSAGES_SQL, values: [one!.id] });
            }),
        },
        { name: 'one conversation: componentforge.conversations.getWithMessages', fn: () => api.conversations.getWithMessages({ id: one!.id }) },
      ],
      CALLS * 3,
    );
    return [...page, ...single].map((r) => ({ ...r, unit: 'reads/s' }));
  } finally {
    await closeRawPool(raw);
  }
}
