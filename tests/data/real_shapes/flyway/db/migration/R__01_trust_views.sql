CREATE OR REPLACE VIEW global_trust(user_id, permission) AS
    SELECT gr.user_id,
           coalesce(bit_or(r.permission), '0'::bit(64)) AS permission
    FROM user_global_roles gr
        JOIN roles r ON gr.role_id = r.id
    GROUP BY gr.user_id;
