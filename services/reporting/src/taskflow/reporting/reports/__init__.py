"""The api side: report queries, their schemas, routes and authorization."""
