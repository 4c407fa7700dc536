/* @name InsertPlan */
-- Creates a report's 7-day plan in one statement: the tasks as parallel arrays, unnested.
insert into exportsathi.action_plan_progress (report_id, day_number, task_index, task_title, task_description, category)
select r.id, t.day_number, t.task_index, t.task_title, t.task_description, t.category
from exportsathi.reports r,
     unnest(cast(:dayNumbers! as int[]), cast(:taskIndexes! as int[]), cast(:taskTitles! as text[]),
            cast(:taskDescriptions! as text[]), cast(:categories! as text[]))
     as t(day_number, task_index, task_title, task_description, category)
where r.id = :reportId! and r.deleted_at is null
returning id, report_id, day_number, task_index, task_title, task_description, category, is_completed, completed_at, created_at, updated_at;

/* @name SetTaskCompleted */
-- Checks a plan task off (or back on); completed_at is set exactly while it is completed.
update exportsathi.action_plan_progress
set is_completed = :isCompleted!,
    completed_at = case when :isCompleted! then coalesce(completed_at, now()) end
where id = :id!
returning id, report_id, day_number, task_index, task_title, task_description, category, is_completed, completed_at, created_at, updated_at;

/* @name UpdateTask */
-- Changes a plan task's title, description or category (absent ones keep theirs).
update exportsathi.action_plan_progress
set task_title       = coalesce(:taskTitle, task_title),
    task_description = case when :setDescription! then :taskDescription else task_description end,
    category         = coalesce(:category, category)
where id = :id!
returning id, report_id, day_number, task_index, task_title, task_description, category, is_completed, completed_at, created_at, updated_at;

/* @name ListPlan */
-- A report's plan in day and task order (at most 7 x 20 tasks); served by the (report_id, day_number, task_index) key.
select id, report_id, day_number, task_index, task_title, task_description, category, is_completed, completed_at, created_at, updated_at
from exportsathi.action_plan_progress
where report_id = :reportId!
order by day_number, task_index;
