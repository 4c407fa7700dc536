/**
 * A small, realistic SOCRATES workspace for the seed's test user: projects at several stages,
 * a session in each mode, a teaching conversation, documents along their lifecycle.
 * Skipped when the user already has projects, so running it twice creates nothing new.
 */
import type { AppSeed } from './index.js';

export const seedSocrates: AppSeed = async (ctx, { testUser }) => {
  const api = ctx.as(testUser.token).socrates;
  if ((await api.projects.list({ limit: 1 })).items.length > 0) return { projects: 0, sessions: 0, messages: 0, documents: 0 };

  const taskApi = await api.projects.create({
    name: 'Task Manager API',
    description: 'A REST API for teams to track tasks, with auth and PostgreSQL.',
    status: 'DEVELOPMENT',
    technologyStack: ['python', 'fastapi', 'postgresql'],
  });
  const portfolio = await api.projects.create({ name: 'Portfolio Website', status: 'PLANNING', technologyStack: ['typescript', 'react'] });
  const chess = await api.projects.create({ name: 'Chess Engine', description: 'Alpha-beta search with a bitboard move generator.', status: 'COMPLETE', technologyStack: ['rust'] });
  await api.projects.create({ name: 'Data Pipeline', status: 'TESTING', technologyStack: ['python', 'airflow'] });

  await api.sessions.start({ mode: 'chat', projectId: taskApi.id, name: 'Choosing an ORM' });
  const questions = await api.sessions.start({ mode: 'question', projectId: taskApi.id, name: 'Auth design questions', role: 'security reviewer' });
  await api.sessions.pause({ id: questions.id });

  const teaching = await api.sessions.start({ mode: 'teaching', projectId: portfolio.id, name: 'React state management', role: 'patient mentor' });
  const conversation = [
    { role: 'user', messageType: 'question', content: 'When should I lift state up instead of using context?' },
    { role: 'assistant', messageType: 'question', content: 'Before I answer: how many components need this state, and how far apart are they in the tree?' },
    { role: 'user', messageType: 'text', content: 'Two siblings and their parent.' },
    { role: 'assistant', messageType: 'response', content: 'Then lifting it to the parent is the simplest thing that works. Context pays off when many distant components read the same value.' },
    { role: 'user', messageType: 'code', content: 'const [filter, setFilter] = useState("all");', metadata: { language: 'tsx' } },
    { role: 'assistant', messageType: 'response', content: 'Good. Now pass filter and setFilter down as props; what would you name them?', metadata: { hint_level: 1 } },
  ] as const;
  for (const message of conversation) await api.messages.append({ sessionId: teaching.id, ...message });

  const review = await api.sessions.start({ mode: 'review', projectId: chess.id, name: 'Move generator review' });
  await api.messages.append({ sessionId: review.id, role: 'user', messageType: 'code', content: 'fn pawn_pushes(bb: u64) -> u64 { bb << 8 }', metadata: { language: 'rust' } });
  await api.messages.append({ sessionId: review.id, role: 'assistant', messageType: 'response', content: 'What happens to pawns on the eighth rank?' });
  await api.sessions.archive({ id: review.id });

  const spec = await api.documents.register({ filename: 'api-spec.md', filePath: 'uploads/task-manager/api-spec.md', fileType: 'markdown', projectId: taskApi.id });
  await api.documents.setStatus({ id: spec.id, status: 'PROCESSING' });
  await api.documents.attachVector({ id: spec.id, vectorId: 'vec_api_spec_001', contentSummary: 'Endpoints for tasks, users and teams; JWT auth.' });
  await api.documents.setStatus({ id: spec.id, status: 'PROCESSED' });
  const diagram = await api.documents.register({ filename: 'architecture.pdf', filePath: 'uploads/task-manager/architecture.pdf', fileType: 'pdf', projectId: taskApi.id });
  await api.documents.setStatus({ id: diagram.id, status: 'PROCESSING' });
  const notes = await api.documents.register({ filename: 'notes.txt', filePath: 'uploads/portfolio/notes.txt', fileType: 'text', projectId: portfolio.id });
  await api.documents.setStatus({ id: notes.id, status: 'ERROR' });
  await api.documents.register({ filename: 'schema.sql', filePath: 'uploads/schema.sql', fileType: 'sql' });

  return { projects: 4, sessions: 4, messages: conversation.length + 2, documents: 4 };
};
