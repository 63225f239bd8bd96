-- Verify token_transfer_keys
SELECT id FROM token_transfer_keys WHERE false;
