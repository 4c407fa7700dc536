import { z } from 'zod';
import { exportsathiActionPlanProgressCategorySchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import { insertPlan, listPlan, setTaskCompleted, updateTask } from '../../../sql/exportsathi/action_plan_progress.queries.js';
import { findReport } from '../../../sql/exportsathi/reports.queries.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { reportIdInput, reportNotFound, textInput } from './inputs.js';

const taskInput = z.object({
  dayNumber: z.number().int().min(1).max(7),
  taskIndex: z.number().int().min(1).max(20),
  taskTitle: textInput(255),
  taskDescription: z.string().max(5000).nullable().default(null),
  category: exportsathiActionPlanProgressCategorySchema.default('general'),
});

export const planRouter = router({
  /** Creates a live report's 7-day plan in one statement: up to 20 tasks a day, each at its own (day, position). */
  create: authedProcedure
    .input(z.object({ reportId: z.uuid(), tasks: z.array(taskInput).min(1).max(140) }))
    .mutation(async ({ ctx, input }) => {
      const rows = await insertPlan.run(
        {
          reportId: input.reportId,
          dayNumbers: input.tasks.map((t) => t.dayNumber),
          taskIndexes: input.tasks.map((t) => t.taskIndex),
          taskTitles: input.tasks.map((t) => t.taskTitle),
          taskDescriptions: input.tasks.map((t) => t.taskDescription) as string[],
          categories: input.tasks.map((t) => t.category),
        },
        ctx.db,
      );
      if (!rows.length) throw reportNotFound(input.reportId);
      return rows.sort((a, b) => a.dayNumber - b.dayNumber || a.taskIndex - b.taskIndex);
    }),

  /** Checks a task off, or back on; completedAt is set exactly while it is completed. */
  complete: authedProcedure.input(z.object({ id: z.uuid(), isCompleted: z.boolean().default(true) })).mutation(async ({ ctx, input }) => {
    return one(await setTaskCompleted.run(input, ctx.db), 'plan task', input.id);
  }),

  /** Changes a task's title, description or category; absent fields keep their value. */
  update: authedProcedure
    .input(
      z.object({
        id: z.uuid(),
        taskTitle: textInput(255).optional(),
        taskDescription: z.string().max(5000).nullable().optional(),
        category: exportsathiActionPlanProgressCategorySchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      return one(
        await updateTask.run(
          {
            id: input.id,
            taskTitle: input.taskTitle ?? null,
            setDescription: input.taskDescription !== undefined,
            taskDescription: input.taskDescription ?? null,
            category: input.category ?? null,
          },
          ctx.db,
        ),
        'plan task',
        input.id,
      );
    }),

  /** A live report's plan in day and task order. */
  list: authedProcedure.input(reportIdInput).query(async ({ ctx, input }) => {
    const [reports, rows] = await Promise.all([findReport.run({ id: input.reportId }, ctx.db), listPlan.run(input, ctx.db)]);
    if (!reports[0]) throw reportNotFound(input.reportId);
    return rows;
  }),
});
