/* @name RecordAccess */
-- Records a Scraper data-access event (ARTIFACT_READ, EXTRACTIONS_READ, JOB_EXPORT) with the request's actor, ip, user agent and request id.
select scraper.audit_access(:action!, :resourceType!, :resourceId!, :details) as "recorded";
