/**
 * Who is signed in. On load the app tries a silent refresh (the httpOnly cookie survives a
 * reload, the in-memory access token does not); after that the session module's token
 * changes drive the state.
 */
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { authApi } from "../../api/client";
import { clearSession, getAccessToken, hasRefreshCookie, onTokenChange, refreshSession, setSession, type TokenGrant } from "../../api/session";

export type AuthStatus = "loading" | "anonymous" | "signed-in";

interface AuthApi {
  status: AuthStatus;
  signedIn: (grant: TokenGrant) => void;
  signOut: (everywhere?: boolean) => Promise<void>;
}

const AuthContext = createContext<AuthApi | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<AuthStatus>(() => (getAccessToken() ? "signed-in" : hasRefreshCookie() ? "loading" : "anonymous"));

  useEffect(() => {
    const off = onTokenChange((token) => setStatus(token ? "signed-in" : "anonymous"));
    if (!getAccessToken() && hasRefreshCookie()) {
      void refreshSession().then((ok) => setStatus(ok ? "signed-in" : "anonymous"));
    }
    return () => {
      off();
    };
  }, []);

  const signedIn = useCallback((grant: TokenGrant) => setSession(grant), []);

  const signOut = useCallback(
    async (everywhere = false) => {
      try {
        if (everywhere) await authApi.POST("/api/v1/auth/sessions/revoke-all", { params: { query: { keep_current: false } } });
        await authApi.POST("/api/v1/auth/logout");
      } finally {
        clearSession();
        queryClient.clear();
      }
    },
    [queryClient],
  );

  const value = useMemo(() => ({ status, signedIn, signOut }), [status, signedIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthApi {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}
