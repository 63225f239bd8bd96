-- Verify node_policy
SELECT id FROM node_policy WHERE false;
