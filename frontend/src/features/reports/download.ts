/**
 * CSV downloads. The reports need the bearer token, which a plain link cannot carry, so the
 * file is fetched through the shared client and handed to the browser as a blob URL.
 */
export function saveFile(text: string, filename: string, type = "text/csv"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked on the next turn: some browsers start the download after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** The browser's IANA zone, so days in the reports are the viewer's days. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
