/* @name InsertUser */
-- Registers a user. RLS admits the row only when the transaction already acts as this new id (auth.register) or as an admin.
insert into core.users (id, username, email, password_hash, full_name, first_name, last_name)
values (:id!, :username!, :email!, :passwordHash!, :fullName, :firstName, :lastName)
returning id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
          last_login_at, created_at, updated_at;

/* @name FindUserById */
-- A user's profile (never the password hash); RLS shows a user only themselves unless an admin asks.
select id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
       last_login_at, created_at, updated_at
from core.users
where id = :id!;

/* @name FindLoginByEmail */
-- The credentials behind an email, for checking a password before anyone is acting (SECURITY DEFINER lookup).
select id as "id!", password_hash as "password_hash!", role as "role!", status as "status!"
from core.login_lookup(:email!);

/* @name RecordLogin */
-- Stamps a successful login on the user's row and returns the profile.
update core.users
set last_login_at = now()
where id = :id!
returning id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
          last_login_at, created_at, updated_at;
