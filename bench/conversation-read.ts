/**
 * Reading conversations with their messages. The seed warns about N+1 (one query for the
 * conversations, then one per conversation for its messages); our procedures load them in two
 * queries whatever N is. Measured: a page of 10 conversations of 20 messages each, and one
 * conversation with its 20 messages, through our procedures and through hand-written pg in
 * the same kind of request transaction (so RLS and the request setup cost both sides alike).
 */
import { interleave, median, newUser, rawRequest, type BenchEnv, type Measurement, type Result } from './support.js';

const CONVERSATIONS = 10;
const MESSAGES = 20;
const ROUNDS = 300;

const CONVERSATIONS_SQL = `select id, user_id, title, model_name, temperature, status, message_count, total_tokens_used, created_at, updated_at
  from componentforge.conversations where user_id = $1 order by id desc limit $2`;
const MESSAGES_SQL = `select id, conversation_id, parent_message_id, role, content, prompt_tokens, completion_tokens, total_tokens,
       context_documents, created_at, updated_at
  from componentforge.messages where conversation_id = $1 order by created_at, id`;
const MESSAGES_OF_MANY_SQL = `select id, conversation_id, parent_message_id, role, content, prompt_tokens, completion_tokens, total_tokens,
       context_documents, created_at, updated_at
  from componentforge.messages where conversation_id = any($1::uuid[]) order by conversation_id, created_at, id`;
const CONVERSATION_SQL = `select id, user_id, title, model_name, temperature, status, message_count, total_tokens_used, created_at, updated_at
  from componentforge.conversations where id = $1`;

function results(group: string, samples: Record<string, number[]>, baseline: string): Result[] {
  return Object.entries(samples).map(([variant, ms]) => ({ group, variant, value: 1000 / median(ms), unit: 'reads/s', baseline: variant === baseline }));
}

export const conversationRead: Measurement = {
  name: `conversations with their messages (${CONVERSATIONS} x ${MESSAGES})`,
  async run(env: BenchEnv) {
    const user = await newUser(env);
    const api = env.caller(user.token).componentforge;
    for (let c = 0; c < CONVERSATIONS; c++) {
      const { conversation } = await api.conversations.start({ title: `bench ${c}`, content: 'How do I create a primary button component?' });
      for (let m = 1; m < MESSAGES; m++) {
        await api.messages.add({ conversationId: conversation.id, role: m % 2 ? 'assistant' : 'user', content: `reply ${m} `.repeat(20), totalTokens: 100 });
      }
    }
    const [one] = (await api.conversations.list({ limit: 1 })).items;

    // Named statements on the raw side too: the baseline gets pg's fastest path.
    const page = await interleave(
      {
        'raw pg: N+1 (1 + 10 queries)': () =>
          rawRequest(env, user.token, async (client) => {
            const { rows } = await client.query<{ id: string }>({ name: 'bench_conversations', text: CONVERSATIONS_SQL, values: [user.id, CONVERSATIONS] });
            for (const row of rows) await client.query({ name: 'bench_messages', text: MESSAGES_SQL, values: [row.id] });
          }),
        'raw pg: eager (2 queries, ANY)': () =>
          rawRequest(env, user.token, async (client) => {
            const { rows } = await client.query<{ id: string }>({ name: 'bench_conversations', text: CONVERSATIONS_SQL, values: [user.id, CONVERSATIONS] });
            await client.query({ name: 'bench_messages_any', text: MESSAGES_OF_MANY_SQL, values: [rows.map((r) => r.id)] });
          }),
        'N+1 through our procedures (conversations.list + 10 messages.list)': async () => {
          const { items } = await api.conversations.list({ limit: CONVERSATIONS });
          for (const c of items) await api.messages.list({ conversationId: c.id, limit: 200 });
        },
        'componentforge.conversations.listWithMessages': () => api.conversations.listWithMessages({ limit: CONVERSATIONS }),
      },
      ROUNDS,
      20,
    );
    const single = await interleave(
      {
        'raw pg: conversation, then its messages (2 queries)': () =>
          rawRequest(env, user.token, async (client) => {
            await client.query({ name: 'bench_conversation', text: CONVERSATION_SQL, values: [one!.id] });
            await client.query({ name: 'bench_messages', text: MESSAGES_SQL, values: [one!.id] });
          }),
        'componentforge.conversations.getWithMessages': () => api.conversations.getWithMessages({ id: one!.id }),
      },
      ROUNDS,
      20,
    );
    return [
      ...results(`a page of ${CONVERSATIONS} conversations with their messages`, page, 'raw pg: N+1 (1 + 10 queries)'),
      ...results('one conversation with its messages', single, 'raw pg: conversation, then its messages (2 queries)'),
    ];
  },
};
