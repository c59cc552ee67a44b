/** Opens the live socket while signed in and turns its messages into cache updates. */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, type ReactNode } from "react";

import { getAccessToken, onTokenChange } from "../api/session";
import { useToast } from "../components/toasts";
import { useAuth } from "../features/auth/AuthProvider";
import { invalidationBatcher, keysFor } from "./bridge";
import { LiveSocket } from "./socket";

export function LiveProvider({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const queryClient = useQueryClient();
  const toast = useToast();

  useEffect(() => {
    if (status !== "signed-in") return;
    const batcher = invalidationBatcher((key) => void queryClient.invalidateQueries({ queryKey: key }));
    const socket = new LiveSocket({
      getToken: getAccessToken,
      onMessage: (message) => {
        batcher.add(keysFor(message));
        if (message.type === "notification") toast.show(message.notification.title);
      },
    });
    socket.start();
    // Each refreshed token re-authenticates the open socket before the old one expires.
    const off = onTokenChange((token) => {
      if (token) socket.reauth();
    });
    return () => {
      off();
      socket.stop();
      batcher.stop();
    };
  }, [status, queryClient, toast]);

  return <>{children}</>;
}
