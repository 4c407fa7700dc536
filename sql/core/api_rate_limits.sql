/* @name HitRateLimit */
-- Counts one request of a subject against an endpoint in the current fixed window; returns the count so far and when the window resets.
select request_count as "request_count!", resets_at as "resets_at!"
from core.rate_limit_hit(:endpoint!, :subject!, :userId, :windowSeconds!);

/* @name PurgeRateLimits */
-- Deletes the counters of windows that started before the given time.
select core.rate_limit_purge(:before!) as "purged!";
