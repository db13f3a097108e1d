"""Public tracking endpoints: conversion intake (`/postback`); no partner or staff session involved."""
