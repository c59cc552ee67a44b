/**
 * Markdown from users (comments, descriptions), rendered safely: react-markdown builds React
 * elements (no innerHTML); raw HTML in the source is dropped, and link/image URLs with
 * unsafe schemes (javascript:, data:) are blanked by its URL transform.
 */
import ReactMarkdown, { defaultUrlTransform } from "react-markdown";

export function Markdown({ source }: { source: string }) {
  return (
    <div className="prose-sm max-w-none break-words [&_a]:text-indigo-700 [&_a]:underline [&_code]:rounded [&_code]:bg-slate-100 [&_code]:px-1 [&_ol]:list-decimal [&_ol]:pl-5 [&_p]:my-1 [&_ul]:list-disc [&_ul]:pl-5 dark:[&_a]:text-indigo-300 dark:[&_code]:bg-slate-800">
      <ReactMarkdown
        skipHtml
        urlTransform={defaultUrlTransform}
        components={{
          a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noopener noreferrer nofollow" />,
        }}
      >
        {source}
      </ReactMarkdown>
    </div>
  );
}
