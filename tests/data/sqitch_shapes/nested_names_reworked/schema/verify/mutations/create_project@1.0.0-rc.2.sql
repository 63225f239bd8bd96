-- Verify mutations/create_project@1.0.0-rc.2
SELECT id FROM mutations_create_project_1_0_0_rc_2 WHERE false;
