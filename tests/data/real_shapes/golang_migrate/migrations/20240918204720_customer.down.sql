-- reverse: create "customer_subjects" table
DROP TABLE "customer_subjects";
-- reverse: create "customers" table
DROP TABLE "customers";
