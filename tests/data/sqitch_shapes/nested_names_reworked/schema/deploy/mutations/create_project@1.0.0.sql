-- Deploy mutations/create_project@1.0.0
BEGIN;
CREATE TABLE mutations_create_project_1_0_0 (id integer);
COMMIT;
