/* @name FindMetrics */
-- One user's metrics; zeros when nothing was counted yet (the row appears with the first count).
select u.id as "user_id!",
       coalesce(m.reports_generated, 0) as "reports_generated!",
       coalesce(m.certifications_completed, 0) as "certifications_completed!",
       coalesce(m.documents_generated, 0) as "documents_generated!",
       coalesce(m.tasks_completed, 0) as "tasks_completed!",
       coalesce(m.questions_asked, 0) as "questions_asked!",
       coalesce(m.cost_savings, 0) as "cost_savings!",
       m.updated_at
from (select cast(:userId! as uuid) as id) u
left join exportsathi.user_metrics m on m.user_id = u.id;
