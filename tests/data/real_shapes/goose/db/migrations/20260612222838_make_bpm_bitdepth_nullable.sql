-- +goose Up
alter table media_file add column bpm_new integer;
update media_file set bpm_new = nullif(bpm, 0);
alter table media_file drop column bpm;
alter table media_file rename column bpm_new to bpm;

-- +goose Down
alter table media_file add column bpm_old integer default 0 not null;
update media_file set bpm_old = coalesce(bpm, 0);
alter table media_file drop column bpm;
alter table media_file rename column bpm_old to bpm;
