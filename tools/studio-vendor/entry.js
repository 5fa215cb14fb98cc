// What the studio's rich-text fields use from ProseMirror, bundled into one file
// (templates/studio/static/vendor/prosemirror.js) by `sh build.sh`. See README.md.
export { Schema, DOMParser, DOMSerializer, Fragment, Slice } from "prosemirror-model";
export { EditorState, Plugin, TextSelection } from "prosemirror-state";
export { EditorView } from "prosemirror-view";
export { keymap } from "prosemirror-keymap";
export { history, undo, redo } from "prosemirror-history";
export { baseKeymap, toggleMark, setBlockType, chainCommands, exitCode } from "prosemirror-commands";
export { addListNodes, wrapInList, splitListItem, liftListItem, sinkListItem } from "prosemirror-schema-list";
