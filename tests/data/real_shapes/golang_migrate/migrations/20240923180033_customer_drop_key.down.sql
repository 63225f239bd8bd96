-- reverse: create index "customersubjects_subject_key" to table: "customer_subjects"
DROP INDEX "customersubjects_subject_key";

-- reverse: modify "customers" table
ALTER TABLE "customers" ADD COLUMN "key" character varying NOT NULL;
