-- Reserved (issue 15 in progress); replaced by its own migration before it lands.
SELECT 1;
