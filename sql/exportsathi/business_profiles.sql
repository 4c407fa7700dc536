/* @name UpsertProfile */
-- Creates or replaces the acting user's business profile (iec and gstin arrive encrypted).
insert into exportsathi.business_profiles (user_id, company_name, business_type, company_size, iec, gstin)
values (:userId!, :companyName, :businessType!, :companySize!, :iec, :gstin)
on conflict (user_id) do update
set company_name  = excluded.company_name,
    business_type = excluded.business_type,
    company_size  = excluded.company_size,
    iec           = excluded.iec,
    gstin         = excluded.gstin
returning user_id, company_name, business_type, company_size, iec, gstin, created_at, updated_at;

/* @name FindProfile */
-- One user's business profile; RLS shows a user only their own.
select user_id, company_name, business_type, company_size, iec, gstin, created_at, updated_at
from exportsathi.business_profiles
where user_id = :userId!;
