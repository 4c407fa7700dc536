/* @name InsertLogistics */
-- Records a logistics analysis for a live report of the acting user's.
insert into exportsathi.logistics_analysis (report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate)
select r.id, :shippingMode!, :cargoVolumeCbm!, :rmsProbability!, :freightEstimate!
from exportsathi.reports r
where r.id = :reportId! and r.deleted_at is null
returning id, report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate, created_at, updated_at;

/* @name UpdateLogistics */
-- Changes a logistics analysis (absent fields keep theirs).
update exportsathi.logistics_analysis
set shipping_mode    = coalesce(:shippingMode, shipping_mode),
    cargo_volume_cbm = coalesce(:cargoVolumeCbm, cargo_volume_cbm),
    rms_probability  = coalesce(:rmsProbability, rms_probability),
    freight_estimate = coalesce(:freightEstimate, freight_estimate)
where id = :id!
returning id, report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate, created_at, updated_at;

/* @name ListLogistics */
-- One page of a report's logistics analyses newest first, before the cursor id; served by (report_id, id desc).
select id, report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate, created_at, updated_at
from exportsathi.logistics_analysis
where report_id = :reportId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;
