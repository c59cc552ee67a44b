/** RFC 9457 problem+json answers as a typed error the screens can show next to a field. */

export interface FieldProblem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string | null;
  code?: string;
  errors?: FieldProblem[] | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: ProblemBody;

  constructor(status: number, problem: ProblemBody) {
    super(problem.detail || problem.title || `Request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.code = problem.code ?? "error";
    this.problem = problem;
  }

  /**
   * Messages by field name: the last element of each `loc` that is a string
   * (`["body", "email"]` -> `email`); errors without one go under `""`.
   */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const item of this.problem.errors ?? []) {
      const field = [...item.loc].reverse().find((part) => typeof part === "string" && part !== "body");
      const key = typeof field === "string" ? field : "";
      out[key] ??= item.msg;
    }
    return out;
  }
}

/** What to tell a person about any error. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of an openapi-fetch result, or an ApiError built from its problem+json body. */
export function unwrap<T>(result: FetchResult<T>): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = (result.error ?? {}) as ProblemBody;
    throw new ApiError(result.response.status, typeof body === "object" && body ? body : {});
  }
  return result.data as T;
}

/** Field messages of a refusal: the API's per-field errors, or its detail under `fallback`. */
export function fieldMessages(error: unknown, fallback: string): Record<string, string> {
  if (error instanceof ApiError) {
    const fields = error.fieldErrors();
    if (Object.keys(fields).length) return fields;
  }
  return { [fallback]: describe(error) };
}
