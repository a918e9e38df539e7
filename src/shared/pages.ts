// The app's pages, shared by the menu (main), the renderer and the IPC contract. No zod here: the renderer
// imports it at run time.
export const PAGE_IDS = ['catalogue', 'labeling', 'rebalancing', 'training', 'reports', 'relabel', 'batch'] as const;
export type PageId = (typeof PAGE_IDS)[number];
