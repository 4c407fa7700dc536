/* @name ListConnections */
-- This database's client connections grouped by state, role and application (seed 003's active connections; admins, through the SECURITY DEFINER core.monitor_connections).
select state, role_name, application_name, connections as "connections!", oldest_transaction_start, oldest_query_start,
       waiting as "waiting!"
from core.monitor_connections();

/* @name CountServerConnections */
-- Client connections to the whole server (every database), against max_connections (admins, through core.monitor_server_connections).
select server_connections as "server_connections!", max_connections as "max_connections!"
from core.monitor_server_connections();

/* @name ListSlowestStatements */
-- This database's statements with the highest mean execution time, from pg_stat_statements (seed 003's slow queries; admins, through core.monitor_slowest_statements).
select query_id as "query_id!", query as "query!", role_name, calls as "calls!", total_ms as "total_ms!", mean_ms as "mean_ms!",
       max_ms as "max_ms!", rows as "rows!", shared_blocks_hit as "shared_blocks_hit!", shared_blocks_read as "shared_blocks_read!"
from core.monitor_slowest_statements(:limit!);

/* @name ListTableSizes */
-- The application schemas' tables, largest first, with total, table (heap and TOAST) and index bytes (seed 003's table sizes); a partitioned table counts its partitions, which are not listed apart. Sizes need no privilege.
select n.nspname::text as "schema!", c.relname::text as "table!",
       sizes.total_bytes as "total_bytes!", sizes.table_bytes as "table_bytes!", sizes.index_bytes as "index_bytes!",
       pg_catalog.pg_size_pretty(sizes.total_bytes) as "total_pretty!", sizes.row_estimate as "row_estimate!"
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
cross join lateral (
  select coalesce(sum(pg_catalog.pg_total_relation_size(p.oid)), 0)::bigint as total_bytes,
         coalesce(sum(pg_catalog.pg_table_size(p.oid)), 0)::bigint as table_bytes,
         coalesce(sum(pg_catalog.pg_indexes_size(p.oid)), 0)::bigint as index_bytes,
         coalesce(sum(greatest(p.reltuples, 0)), 0)::bigint as row_estimate
  from pg_catalog.pg_class p
  -- pg_partition_tree lists a partitioned table with its partitions, and nothing for a plain table.
  where p.oid = c.oid or p.oid in (select t.relid from pg_catalog.pg_partition_tree(c.oid) t)
) sizes
where n.nspname in ('core', 'verificai', 'scraper', 'socrates', 'exportsathi', 'componentforge')
  and c.relkind in ('r', 'p') and not c.relispartition
order by sizes.total_bytes desc, n.nspname, c.relname
limit :limit!;

/* @name ListIndexSizes */
-- The application schemas' indexes, largest first, with their table, bytes and scans since the statistics were reset (0 scans on a large index: a candidate to drop). Sizes need no privilege.
select n.nspname::text as "schema!", t.relname::text as "table!", i.relname::text as "index!",
       pg_catalog.pg_relation_size(i.oid) as "size_bytes!", pg_catalog.pg_size_pretty(pg_catalog.pg_relation_size(i.oid)) as "size_pretty!",
       coalesce(pg_catalog.pg_stat_get_numscans(i.oid), 0) as "scans!", x.indisunique as "unique!", x.indisprimary as "primary!"
from pg_catalog.pg_index x
join pg_catalog.pg_class i on i.oid = x.indexrelid
join pg_catalog.pg_class t on t.oid = x.indrelid
join pg_catalog.pg_namespace n on n.oid = t.relnamespace
where n.nspname in ('core', 'verificai', 'scraper', 'socrates', 'exportsathi', 'componentforge')
  and i.relkind = 'i'
order by pg_catalog.pg_relation_size(i.oid) desc, n.nspname, t.relname, i.relname
limit :limit!;
