"""The CRM both ways, by API: pull HubSpot and Salesforce into the landing zone as the exports would be (`pull`),
and write the scores back onto the contact and lead records (`push`). Plain Python, no Dagster."""
