/* @name InsertUser */
-- Registers a user (username optional). RLS admits the row only when the transaction already acts as this new id (auth.register) or as an admin.
insert into core.users (id, username, email, password_hash, full_name, first_name, last_name)
values (:id!, :username, :email!, :passwordHash!, :fullName, :firstName, :lastName)
returning id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
       last_login_at, created_at, updated_at;

/* @name FindUserById */
-- A user's profile (never the password hash); RLS shows a user only themselves unless an admin asks.
select id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
       last_login_at, created_at, updated_at
from core.users
where id = :id!;

/* @name FindUserByEmail */
-- A user's profile by email, ignoring case (admins).
select id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
       last_login_at, created_at, updated_at
from core.users
where email = :email!;

/* @name ListUsers */
-- One page of users newest first (ids are UUIDv7), before the cursor, optionally filtered by status, role and an email/username prefix (a LIKE pattern, escaped by the caller). Served by walking the primary key down from the cursor (a CASE, not coalesce, so that it stays an index condition under RLS); the filters are few-valued, so a generic plan could not do better with an index of its own.
select id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
       last_login_at, created_at, updated_at
from core.users
where id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
  and (cast(:status as text) is null or status = :status)
  and (cast(:role as text) is null or role = :role)
  and (cast(:prefix as text) is null or email like :prefix or username like :prefix)
order by id desc
limit :limit!;

/* @name FindLoginByEmail */
-- The credentials behind an email, for checking a password before anyone is acting (SECURITY DEFINER lookup).
select id as "id!", password_hash as "password_hash!", role as "role!", status as "status!"
from core.login_lookup(:email!);

/* @name FindPasswordHash */
-- The acting user's own password hash, to check the current password before changing it: through the login lookup, since the request role cannot read the column.
select l.password_hash as "password_hash!"
from core.users u
cross join lateral core.login_lookup(u.email) l
where u.id = :id!;

/* @name RecordLogin */
-- Stamps a successful login on the user's row and returns the profile.
update core.users
set last_login_at = now()
where id = :id!
returning id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
       last_login_at, created_at, updated_at;

/* @name UpdateProfile */
-- Changes the profile fields present in the patch (a JSON object keyed by API field name); absent fields keep their value, null clears.
update core.users
set full_name   = case when :patch::jsonb ? 'fullName' then :patch::jsonb ->> 'fullName' else full_name end,
    first_name  = case when :patch::jsonb ? 'firstName' then :patch::jsonb ->> 'firstName' else first_name end,
    last_name   = case when :patch::jsonb ? 'lastName' then :patch::jsonb ->> 'lastName' else last_name end,
    bio         = case when :patch::jsonb ? 'bio' then :patch::jsonb ->> 'bio' else bio end,
    avatar_url  = case when :patch::jsonb ? 'avatarUrl' then :patch::jsonb ->> 'avatarUrl' else avatar_url end,
    preferences = case when :patch::jsonb ? 'preferences' then :patch::jsonb -> 'preferences' else preferences end
where id = :id!
returning id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
       last_login_at, created_at, updated_at;

/* @name UpdatePasswordHash */
-- Replaces a user's password hash.
update core.users
set password_hash = :passwordHash!
where id = :id!
returning id;

/* @name UpgradePasswordHash */
-- Replaces a verified bcrypt hash by its argon2id rehash at login, unless the password changed since it was read.
select core.upgrade_password_hash(:id!, :oldHash!, :newHash!) as "upgraded!";

/* @name ImportUser */
-- Adds a user from one of the seeds' existing systems with their password hash (argon2id or bcrypt), unless the email is taken (admins).
insert into core.users (username, email, password_hash, full_name, first_name, last_name, role, status, preferences, last_login_at)
values (:username, :email!, :passwordHash!, :fullName, :firstName, :lastName, :role!, :status!, :preferences!, :lastLoginAt)
on conflict (email) do nothing
returning id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
       last_login_at, created_at, updated_at;

/* @name SetUserStatus */
-- Suspends, deactivates or reactivates a user (admins; the guard trigger refuses anyone else).
update core.users
set status = :status!
where id = :id!
returning id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
       last_login_at, created_at, updated_at;

/* @name SetUserRole */
-- Makes a user an admin or a plain user (admins; the guard trigger refuses anyone else).
update core.users
set role = :role!
where id = :id!
returning id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
       last_login_at, created_at, updated_at;

/* @name PromoteUser */
-- Makes the user with this email an admin (users:promote, db:seed's admin).
update core.users
set role = 'admin'
where email = :email!
returning id;
