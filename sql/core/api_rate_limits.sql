/* @name HitRateLimit */
-- Counts one request of a subject against an endpoint in the current fixed window; returns the count so far and when the window resets.
select request_count as "request_count!", resets_at as "resets_at!"
from core.rate_limit_hit(:endpoint!, :subject!, :userId, :windowSeconds!);

/* @name PurgeRateLimits */
-- Deletes the counters of windows that started before the given time.
select core.rate_limit_purge(:before!) as "purged!";

/* @name HitUserRateLimit */
-- Counts one request of the user behind a bearer token against an endpoint in the current fixed window; returns the count, the limit (setting :limitKey or :defaultLimit) and when the window resets. No row for a token that does not authenticate.
select user_id as "user_id!", request_count as "request_count!", request_limit as "request_limit!", resets_at as "resets_at!"
from core.rate_limit_hit_user(:endpoint!, :tokenHash!, :windowSeconds!, :limitKey!, :defaultLimit!);
