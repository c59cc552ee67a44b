import { useQuery } from "@tanstack/react-query";

import { authApi } from "../../api/client";
import { unwrap } from "../../api/errors";
import type { User } from "../../api/types";
import { useAuth } from "./AuthProvider";

/** The signed-in user (`GET /api/v1/users/me`). */
export function useMe() {
  const { status } = useAuth();
  return useQuery({
    queryKey: ["users", "me"],
    queryFn: async (): Promise<User> => unwrap(await authApi.GET("/api/v1/users/me")),
    enabled: status === "signed-in",
    staleTime: 60_000,
  });
}
