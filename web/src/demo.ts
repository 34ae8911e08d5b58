// The demo sign-in. In demo mode (no DATABRICKS_HOST) the server runs a
// small proxy in place of the Databricks Apps proxy, at /_demo/; it is not
// part of the API (not in the contract), and does not exist outside demo
// mode, where these calls answer 404 and the sign-in bar stays hidden.

/** DemoUser is someone the demo lets a person sign in as. */
export type DemoUser = { id: string; user_name: string; label: string; scopes: string[] };

/** demoUsers returns the demo users and who is signed in, or undefined outside demo mode. */
export async function demoUsers(): Promise<{ users: DemoUser[]; signed_in: string } | undefined> {
  const r = await fetch("/_demo/users", { signal: AbortSignal.timeout(10_000) });
  if (!r.ok || !(r.headers.get("Content-Type") ?? "").startsWith("application/json")) return undefined;
  return r.json();
}

/** demoSignIn makes the demo proxy act as user for this browser. */
export async function demoSignIn(user: string): Promise<void> {
  const r = await fetch("/_demo/sign-in", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user }) });
  if (!r.ok) throw new Error(await r.text());
}
