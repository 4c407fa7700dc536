-- Bulk writes audited per statement, in every audited table.
--
-- Migration 1763800000017 gave document_chunks a row bound ('rows>100'): an INSERT or DELETE
-- statement of more than 100 rows is logged as ONE audit row naming every id, with the same
-- actor, role, request, session, ip and user agent; smaller statements and every UPDATE stay
-- row by row. This extends the bound to every audited table with an id column (all but
-- exportsathi.business_profiles, one row per user keyed by user_id, which stays row by row). What writes that many rows in one
-- statement: db:seed --scale (a statement per table for 50 users: with an audit row per row,
-- the audit log was half of the database's work and two thirds of its bytes), the workers' bulk
-- registrations (VerificAI files, Scraper ingests), and a deletion cascading to a parent's
-- children (a conversation's messages, a report's rows). A request that writes a handful of
-- rows is logged exactly as before.
--
-- Every row stays traceable to who wrote it and in which request:
--   select * from core.audit_log where entity_table = '<table>' and (entity_id = '<id>' or new_value -> 'ids' ? '<id>' or old_value -> 'ids' ? '<id>')

-- Up Migration

select core.detach_audit('componentforge.conversations'), core.attach_audit('componentforge.conversations', 'rows>100');
select core.detach_audit('componentforge.documents'), core.attach_audit('componentforge.documents', 'extracted_text', 'rows>100');
select core.detach_audit('componentforge.embedding_models'), core.attach_audit('componentforge.embedding_models', 'rows>100');
select core.detach_audit('componentforge.evaluation_runs'), core.attach_audit('componentforge.evaluation_runs', 'rows>100');
select core.detach_audit('componentforge.messages'), core.attach_audit('componentforge.messages', 'rows>100');
select core.detach_audit('componentforge.requirement_exports'), core.attach_audit('componentforge.requirement_exports', 'rows>100');
select core.detach_audit('core.auth_sessions'), core.attach_audit('core.auth_sessions', 'token_hash', 'rows>100');
select core.detach_audit('core.system_configurations'), core.attach_audit('core.system_configurations', 'config_value?is_sensitive', 'rows>100');
select core.detach_audit('core.user_preferences'), core.attach_audit('core.user_preferences', 'rows>100');
select core.detach_audit('core.users'), core.attach_audit('core.users', 'password_hash', 'rows>100');
select core.detach_audit('exportsathi.action_plan_progress'), core.attach_audit('exportsathi.action_plan_progress', 'rows>100');
select core.detach_audit('exportsathi.certification_progress'), core.attach_audit('exportsathi.certification_progress', 'rows>100');
select core.detach_audit('exportsathi.chat_messages'), core.attach_audit('exportsathi.chat_messages', 'rows>100');
select core.detach_audit('exportsathi.chat_sessions'), core.attach_audit('exportsathi.chat_sessions', 'rows>100');
select core.detach_audit('exportsathi.finance_analysis'), core.attach_audit('exportsathi.finance_analysis', 'rows>100');
select core.detach_audit('exportsathi.generated_documents'), core.attach_audit('exportsathi.generated_documents', 'content', 'rows>100');
select core.detach_audit('exportsathi.logistics_analysis'), core.attach_audit('exportsathi.logistics_analysis', 'rows>100');
select core.detach_audit('exportsathi.reports'), core.attach_audit('exportsathi.reports', 'rows>100');
select core.detach_audit('exportsathi.user_metrics'), core.attach_audit('exportsathi.user_metrics', 'rows>100');
select core.detach_audit('scraper.artifacts'), core.attach_audit('scraper.artifacts', 'rows>100');
select core.detach_audit('scraper.content_extractions'), core.attach_audit('scraper.content_extractions', 'extracted_data', 'rows>100');
select core.detach_audit('scraper.job_configurations'), core.attach_audit('scraper.job_configurations', 'rows>100');
select core.detach_audit('scraper.metadata_tags'), core.attach_audit('scraper.metadata_tags', 'rows>100');
select core.detach_audit('scraper.scraping_jobs'), core.attach_audit('scraper.scraping_jobs', 'rows>100');
select core.detach_audit('socrates.documents'), core.attach_audit('socrates.documents', 'rows>100');
select core.detach_audit('socrates.messages'), core.attach_audit('socrates.messages', 'rows>100');
select core.detach_audit('socrates.projects'), core.attach_audit('socrates.projects', 'rows>100');
select core.detach_audit('socrates.sessions'), core.attach_audit('socrates.sessions', 'rows>100');
select core.detach_audit('verificai.analysis_results'), core.attach_audit('verificai.analysis_results', 'result_content', 'rows>100');
select core.detach_audit('verificai.analysis_sessions'), core.attach_audit('verificai.analysis_sessions', 'rows>100');
select core.detach_audit('verificai.analysis_tasks'), core.attach_audit('verificai.analysis_tasks', 'rows>100');
select core.detach_audit('verificai.configurations'), core.attach_audit('verificai.configurations', 'rows>100');
select core.detach_audit('verificai.file_uploads'), core.attach_audit('verificai.file_uploads', 'rows>100');

-- Down Migration

select core.detach_audit('componentforge.conversations'), core.attach_audit('componentforge.conversations');
select core.detach_audit('componentforge.documents'), core.attach_audit('componentforge.documents', 'extracted_text');
select core.detach_audit('componentforge.embedding_models'), core.attach_audit('componentforge.embedding_models');
select core.detach_audit('componentforge.evaluation_runs'), core.attach_audit('componentforge.evaluation_runs');
select core.detach_audit('componentforge.messages'), core.attach_audit('componentforge.messages');
select core.detach_audit('componentforge.requirement_exports'), core.attach_audit('componentforge.requirement_exports');
select core.detach_audit('core.auth_sessions'), core.attach_audit('core.auth_sessions', 'token_hash');
select core.detach_audit('core.system_configurations'), core.attach_audit('core.system_configurations', 'config_value?is_sensitive');
select core.detach_audit('core.user_preferences'), core.attach_audit('core.user_preferences');
select core.detach_audit('core.users'), core.attach_audit('core.users', 'password_hash');
select core.detach_audit('exportsathi.action_plan_progress'), core.attach_audit('exportsathi.action_plan_progress');
select core.detach_audit('exportsathi.certification_progress'), core.attach_audit('exportsathi.certification_progress');
select core.detach_audit('exportsathi.chat_messages'), core.attach_audit('exportsathi.chat_messages');
select core.detach_audit('exportsathi.chat_sessions'), core.attach_audit('exportsathi.chat_sessions');
select core.detach_audit('exportsathi.finance_analysis'), core.attach_audit('exportsathi.finance_analysis');
select core.detach_audit('exportsathi.generated_documents'), core.attach_audit('exportsathi.generated_documents', 'content');
select core.detach_audit('exportsathi.logistics_analysis'), core.attach_audit('exportsathi.logistics_analysis');
select core.detach_audit('exportsathi.reports'), core.attach_audit('exportsathi.reports');
select core.detach_audit('exportsathi.user_metrics'), core.attach_audit('exportsathi.user_metrics');
select core.detach_audit('scraper.artifacts'), core.attach_audit('scraper.artifacts');
select core.detach_audit('scraper.content_extractions'), core.attach_audit('scraper.content_extractions', 'extracted_data');
select core.detach_audit('scraper.job_configurations'), core.attach_audit('scraper.job_configurations');
select core.detach_audit('scraper.metadata_tags'), core.attach_audit('scraper.metadata_tags');
select core.detach_audit('scraper.scraping_jobs'), core.attach_audit('scraper.scraping_jobs');
select core.detach_audit('socrates.documents'), core.attach_audit('socrates.documents');
select core.detach_audit('socrates.messages'), core.attach_audit('socrates.messages');
select core.detach_audit('socrates.projects'), core.attach_audit('socrates.projects');
select core.detach_audit('socrates.sessions'), core.attach_audit('socrates.sessions');
select core.detach_audit('verificai.analysis_results'), core.attach_audit('verificai.analysis_results', 'result_content');
select core.detach_audit('verificai.analysis_sessions'), core.attach_audit('verificai.analysis_sessions');
select core.detach_audit('verificai.analysis_tasks'), core.attach_audit('verificai.analysis_tasks');
select core.detach_audit('verificai.configurations'), core.attach_audit('verificai.configurations');
select core.detach_audit('verificai.file_uploads'), core.attach_audit('verificai.file_uploads');
