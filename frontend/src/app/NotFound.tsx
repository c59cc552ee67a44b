import { Link } from "react-router";

export default function NotFound() {
  return (
    <div className="p-8 text-center">
      <h1 className="text-xl font-semibold">Nothing here</h1>
      <p className="mt-2 text-sm">
        <Link className="text-indigo-700 underline dark:text-indigo-300" to="/projects">
          Go to your projects
        </Link>
      </p>
    </div>
  );
}
