"""Who shares a project with whom: auth's projection of the tasks service's memberships."""
