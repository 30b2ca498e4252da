import { init } from "../src/backend/index.js";

await init();
