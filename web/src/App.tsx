import { useEffect, useState } from "react";
import { demoSignIn, demoUsers, type DemoUser } from "./demo";
import { Catalogs } from "./pages/Catalogs";
import { InferenceLog } from "./pages/InferenceLog";
import { Me } from "./pages/Me";
import { Preferences } from "./pages/Preferences";
import { Serving } from "./pages/Serving";

const pages = {
  me: { title: "Me", view: Me },
  catalogs: { title: "Catalogs", view: Catalogs },
  serving: { title: "Serving & chat", view: Serving },
  preferences: { title: "Preferences", view: Preferences },
  log: { title: "Inference log", view: InferenceLog },
} as const;
type PageId = keyof typeof pages;

function pageFromHash(): PageId {
  const id = window.location.hash.replace(/^#\/?/, "");
  return id in pages ? (id as PageId) : "me";
}

/** App is the page frame: the demo sign-in (demo mode only), the navigation, and the current page. */
export function App() {
  const [page, setPage] = useState<PageId>(pageFromHash);
  const [demo, setDemo] = useState<{ users: DemoUser[]; signed_in: string }>();
  // Signing in as someone else starts every page afresh.
  const [session, setSession] = useState(0);

  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    demoUsers().then(setDemo, () => setDemo(undefined));
  }, [session]);

  const signIn = async (id: string) => {
    await demoSignIn(id);
    setSession((s) => s + 1);
  };
  const View = pages[page].view;
  const needsSignIn = demo !== undefined && demo.signed_in === "";
  return (
    <div className="app">
      <header>
        <h1>onbehalf</h1>
        <nav aria-label="Pages">
          {(Object.keys(pages) as PageId[]).map((id) => (
            <a key={id} href={`#/${id}`} className={id === page ? "current" : ""}>
              {pages[id].title}
            </a>
          ))}
        </nav>
      </header>
      {demo && (
        <div className="demo-bar" aria-label="Demo sign-in">
          <span>Demo: act as</span>
          {demo.users.map((u) => (
            <button key={u.id} className={u.id === demo.signed_in ? "current" : ""} onClick={() => signIn(u.id)} title={u.scopes.join(" ")}>
              {u.label}
            </button>
          ))}
        </div>
      )}
      <main key={session}>
        {needsSignIn ? <p className="hint">Pick a demo user above to sign in.</p> : <View />}
      </main>
    </div>
  );
}
