import "@testing-library/jest-dom/vitest";

import { configure } from "@testing-library/react";

// The machines running `make test` are shared and often busy: wait longer than 1 s for the UI.
configure({ asyncUtilTimeout: 10_000 });
